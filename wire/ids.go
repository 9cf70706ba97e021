package wire

// Render module request and response IDs (PROTOCOL.md §4.2, Appendix C).
const (
	ReqClose             uint32 = 0x1
	ReqEntryCount        uint32 = 0x3
	ReqSearchDetails     uint32 = 0x4
	ReqSearchTags        uint32 = 0x5
	ReqGetEntries        uint32 = 0x10
	ReqStreaming         uint32 = 0x11
	ReqTSRange           uint32 = 0x12
	ReqGetRawEntries     uint32 = 0x13
	ReqGetExploreEntries uint32 = 0xF010
	ReqExploreTSRange    uint32 = 0xF012
	ReqSearchMetadata    uint32 = 0x10001
	ReqStatsSize         uint32 = 0x7F000001
	ReqStatsRange        uint32 = 0x7F000002
	ReqStatsGet          uint32 = 0x7F000003
	ReqStatsGetRange     uint32 = 0x7F000004
	ReqStatsGetSummary   uint32 = 0x7F000005
	ReqStatsGetLocation  uint32 = 0x7F000006
	ReqStatsGetOverview  uint32 = 0x7F000007
	RespError            uint32 = 0xFFFFFFFF

	// StatsMask and StatsMaskID recognise stats requests: id&StatsMask == StatsMaskID.
	StatsMask   uint32 = 0xFF000000
	StatsMaskID uint32 = 0x7F000000
)

// Defaults fixed by the protocol (PROTOCOL.md Appendix C).
const (
	MaxEVNameLen     = 1024  // maximum enumerated value name
	MaxEVDataLen     = 64503 // maximum enumerated value data
	MaxStatsBuckets  = 65536 // stats base-bucket cap
	StreamBlockSize  = 1000  // default REQ_STREAMING block
	EpochOffsetYear1 = 62135596800
)
