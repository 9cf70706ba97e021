package store

// Clauses returns f's clauses, for sending the filter to another process (engine/cluster
// hands a query's filter to every indexer); FilterFromClauses rebuilds it. Each alternative
// is its terms flattened as space id, hash, space id, hash, ...; ids and hashes are the same
// in every process of one version.
func (f *Filter) Clauses() [][][]uint64 {
	if f == nil {
		return nil
	}
	return f.clauses
}

// FilterFromClauses returns the Filter whose Clauses are c (nil for none).
func FilterFromClauses(c [][][]uint64) *Filter {
	if len(c) == 0 {
		return nil
	}
	return &Filter{clauses: c}
}
