public import Foundation

/// A message on `llm.batch.work`: a job to run, or a cancel of one (both keyed by the batch id,
/// so a cancel follows its job in the same partition, to the runner running it).
public enum BatchWork: Sendable, Hashable {
    case run(BatchJob)
    case cancel(String)

    public var batchID: String {
        switch self {
        case .run(let job): job.id
        case .cancel(let id): id
        }
    }

    public var encoded: Data {
        switch self {
        case .run(let job): Data(#"{"run":"#.utf8) + job.json + Data("}".utf8)
        case .cancel(let id):
            (try? JSONSerialization.data(withJSONObject: ["cancel": id])) ?? Data()
        }
    }

    public static func decode(_ data: Data) -> BatchWork? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let id = object["cancel"] as? String { return .cancel(id) }
        guard let run = object["run"], let json = try? JSONSerialization.data(withJSONObject: run),
            let job = BatchJob.decode(json)
        else { return nil }
        return .run(job)
    }
}
