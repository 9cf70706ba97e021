package store

import "fmt"

// CheckTagName reports whether name is a valid tag name (1..MaxTagLength bytes of
// [A-Za-z0-9_.-], not "." or ".."), with an error wrapping ErrInvalidTag when it is not: the
// check TagID makes, for nodes that number tags without a store (engine/cluster).
func CheckTagName(name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("%w %q: %s", ErrInvalidTag, truncate(name, 80), err)
	}
	return nil
}
