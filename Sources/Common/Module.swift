// Small shared pieces: the `Common` module.
//
// It owns what every module may use and that depends on nothing: the log key scheme
// (`LogKey`) and the metric names (`MetricName`, `MetricAttribute`), setting rules and their
// error (`SettingRule`, `InvalidSetting`), JSON bytes and the fast paths' JSON parser
// (`JSONTreeParser`) with its ordered value (`OrderedJSON`), the wall clock, the price table and
// a seeded random generator. Imports nothing of the project.
