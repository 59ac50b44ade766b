package sqlite

// SetLookupMost sets how many members or identities RisingWindow looks up
// by id before it scans them all (negative: always scan; 0: the default).
func (s *Store) SetLookupMost(n int) { s.lookupMost = n }
