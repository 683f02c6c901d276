// Topics as data: the `Topics` module.
//
// It owns `topics/` parsed and validated, `{provider}` templates, and `TopicNames`, the
// one place topic names are spelled.
