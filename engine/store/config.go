package store

import (
	"errors"
	"log/slog"
	"path"
	"strconv"
	"time"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxEntrySize      = 1 << 20
	DefaultShardDuration     = time.Hour
	DefaultBlockSize         = 512 << 10
	DefaultScanBatch         = 1024
	DefaultRetentionInterval = time.Minute
)

// Hard limits of the on-disk format and of Config values.
const (
	// MaxTagLength is the longest tag or well name in bytes. It is a format limit, not a
	// tunable: tags written under one configuration must be readable under any other.
	MaxTagLength = 64
	// MaxTags is the number of distinct tag IDs (uint16).
	MaxTags = 1 << 16
	// maxEntrySizeCap bounds Config.MaxEntrySize.
	maxEntrySizeCap = 256 << 20
	// maxBlockSizeCap bounds Config.BlockSize.
	maxBlockSizeCap = 64 << 20
	// maxBlockRaw is the largest decoded block the reader accepts: one block holds at most
	// BlockSize bytes of records plus one entry of up to maxEntrySizeCap.
	maxBlockRaw = maxBlockSizeCap + maxEntrySizeCap + maxRecordOverhead
	// maxShardDuration bounds Config.ShardDuration so shard ends never overflow int64.
	maxShardDuration = 30 * 24 * time.Hour
)

// Timestamp range accepted by Ingest: 1970-01-01T00:00:00Z up to but excluding
// 2262-01-01T00:00:00Z (int64 nanoseconds end in April 2262; the margin keeps shard
// arithmetic in range).
const (
	MinTimestamp int64 = 0
	MaxTimestamp int64 = 9183110400 * int64(time.Second) // 2262-01-01T00:00:00Z, exclusive
)

// Compression selects the block compressor for new blocks. Blocks record their codec, so a
// store can be reopened with a different choice and still read everything.
type Compression uint8

// Compression choices.
const (
	// CompressionDefault is CompressionS2 (see the NOTE on codecS2 in block.go for the
	// measurement behind the choice).
	CompressionDefault Compression = iota
	// CompressionS2 uses klauspost/compress/s2 in its default mode.
	CompressionS2
	// CompressionZstd uses klauspost/compress/zstd at its fastest level: about a third
	// smaller blocks than S2 on log lines, at roughly half the scan speed.
	CompressionZstd
	// CompressionNone stores blocks uncompressed.
	CompressionNone
)

// Config configures a Store. The zero value of every field except Dir works.
type Config struct {
	// Dir is the data directory (required). It is created if missing.
	Dir string
	// Wells are extra wells. A well named "default" always exists and takes every tag not
	// routed elsewhere; list it here only to give it retention limits (it may not have Tags).
	Wells []WellConfig
	// MaxEntrySize is the largest entry Data accepted by Ingest, in bytes. Default 1 MiB.
	MaxEntrySize int
	// ShardDuration is the time span of one shard. Default 1 h, at most 30 days. It is fixed
	// for a well when the well is created; changing it later affects only new wells.
	ShardDuration time.Duration
	// Logger receives recovery warnings and retention notices. Default slog.Default().
	Logger *slog.Logger
	// BlockSize is the target size of one block's records before compression, in bytes.
	// Default 512 KiB, at most 64 MiB. Larger blocks compress better and cost more memory
	// per concurrently decoded block during scans.
	BlockSize int
	// Compression is the codec for new blocks. Default S2.
	Compression Compression
	// ScanBatch is the largest number of entries handed to one Scan callback. Default 1024.
	ScanBatch int
	// RetentionInterval is how often well retention limits are enforced besides after each
	// ingest that touches a limited well. Default 1 minute.
	RetentionInterval time.Duration
	// MaxTags is the most tags that may exist at once (stored ones and new ones of requests
	// in flight). Default and maximum MaxTags (65536, the tag ID space). Past it TagID fails
	// with ErrTooManyTags and a *LimitError naming MaxTags, after reclaiming tags whose data
	// retention removed.
	MaxTags int
}

// WellConfig configures one well.
type WellConfig struct {
	// Name is the well name: [A-Za-z0-9_.-], at most MaxTagLength bytes.
	Name string
	// Tags are the tag names routed to this well. Shell wildcards (path.Match syntax) are
	// allowed; a tag goes to the first well, in Config order, with a matching pattern.
	Tags []string
	// MaxAge drops whole shards whose newest entry is older than MaxAge. Zero: no limit.
	MaxAge time.Duration
	// MaxBytes drops the oldest whole shards while the well's files exceed MaxBytes. The
	// newest shard is never dropped for size. Zero: no limit.
	MaxBytes int64
	// Accel configures the well's accelerator (accel.go); the zero value is a fulltext bloom
	// filter per block at a 1% collision rate.
	Accel AccelConfig
}

// withDefaults returns cfg with defaults applied, or an error naming the bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Dir == "" {
		return cfg, errors.New("store: Config.Dir is required")
	}
	if cfg.MaxEntrySize == 0 {
		cfg.MaxEntrySize = DefaultMaxEntrySize
	}
	if cfg.MaxEntrySize < 0 || cfg.MaxEntrySize > maxEntrySizeCap {
		return cfg, errors.New("store: Config.MaxEntrySize out of range (1.." + strconv.Itoa(maxEntrySizeCap) + ")")
	}
	if cfg.ShardDuration == 0 {
		cfg.ShardDuration = DefaultShardDuration
	}
	if cfg.ShardDuration < 0 || cfg.ShardDuration > maxShardDuration {
		return cfg, errors.New("store: Config.ShardDuration out of range (1ns..720h)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BlockSize == 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.BlockSize < 0 || cfg.BlockSize > maxBlockSizeCap {
		return cfg, errors.New("store: Config.BlockSize out of range (1.." + strconv.Itoa(maxBlockSizeCap) + ")")
	}
	if cfg.Compression > CompressionNone {
		return cfg, errors.New("store: Config.Compression unknown value " + strconv.Itoa(int(cfg.Compression)))
	}
	if cfg.ScanBatch == 0 {
		cfg.ScanBatch = DefaultScanBatch
	}
	if cfg.ScanBatch < 0 {
		return cfg, errors.New("store: Config.ScanBatch must be positive")
	}
	if cfg.MaxTags == 0 {
		cfg.MaxTags = MaxTags
	}
	if cfg.MaxTags < 0 || cfg.MaxTags > MaxTags {
		return cfg, errors.New("store: Config.MaxTags out of range (1.." + strconv.Itoa(MaxTags) + ")")
	}
	if cfg.RetentionInterval == 0 {
		cfg.RetentionInterval = DefaultRetentionInterval
	}
	if cfg.RetentionInterval < 0 {
		return cfg, errors.New("store: Config.RetentionInterval must be positive")
	}
	seen := make(map[string]bool, len(cfg.Wells))
	for i, w := range cfg.Wells {
		field := "store: Config.Wells[" + strconv.Itoa(i) + "]"
		if err := validName(w.Name); err != nil {
			return cfg, errors.New(field + ".Name: " + err.Error())
		}
		if seen[w.Name] {
			return cfg, errors.New(field + ": duplicate well name " + strconv.Quote(w.Name))
		}
		seen[w.Name] = true
		if w.Name == DefaultWell && len(w.Tags) > 0 {
			return cfg, errors.New(field + `: well "default" takes all unrouted tags and cannot list Tags`)
		}
		if w.Name != DefaultWell && len(w.Tags) == 0 {
			return cfg, errors.New(field + ": well " + strconv.Quote(w.Name) + " has no Tags")
		}
		for _, p := range w.Tags {
			if _, err := path.Match(p, ""); err != nil {
				return cfg, errors.New(field + ".Tags: bad pattern " + strconv.Quote(p) + ": " + err.Error())
			}
		}
		if err := w.Accel.check(field + ".Accel"); err != nil {
			return cfg, err
		}
		if w.MaxAge < 0 || w.MaxBytes < 0 {
			return cfg, errors.New(field + ": MaxAge and MaxBytes must not be negative")
		}
	}
	return cfg, nil
}

// DefaultWell is the name of the well that takes every tag no configured well claims.
const DefaultWell = "default"

// validName checks a tag or well name: 1..MaxTagLength bytes of [A-Za-z0-9_.-].
func validName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > MaxTagLength {
		return errors.New("name longer than " + strconv.Itoa(MaxTagLength) + " bytes")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return errors.New("byte " + strconv.Itoa(i) + " (" + strconv.Quote(name[i:i+1]) + ") is not in [A-Za-z0-9_.-]")
		}
	}
	if name == "." || name == ".." {
		return errors.New(`name may not be "." or ".."`)
	}
	return nil
}
