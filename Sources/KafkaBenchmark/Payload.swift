/// Message values of a given size: printable, not trivially compressible bytes (compression is off anyway).
enum Payload {
    static func bytes(_ size: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        return (0..<size).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
    }
}
