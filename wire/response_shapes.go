package wire

// TableRow is one row of a table renderer (PROTOCOL.md §5.4): its time and one string cell
// per column.
type TableRow struct {
	TS  int64 // Unix nanoseconds
	Row []string
}

// AppendTableValueSet appends a TableValueSet {"Columns":[…],"Rows":[…]}; nil slices are
// written as [].
func AppendTableValueSet(dst []byte, columns []string, rows []TableRow) []byte {
	dst = append(dst, `{"Columns":`...)
	dst = appendStringArray(dst, columns)
	dst = append(dst, `,"Rows":[`...)
	for i := range rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendTableRow(dst, &rows[i])
	}
	return append(dst, "]}"...)
}

// AppendTableRow appends {"TS":…,"Row":[…]}.
func AppendTableRow(dst []byte, r *TableRow) []byte {
	dst = append(dst, `{"TS":`...)
	dst = AppendUnixNano(dst, r.TS)
	dst = append(dst, `,"Row":`...)
	dst = appendStringArray(dst, r.Row)
	return append(dst, '}')
}

// GaugeValue is one element of a gauge or numbercard renderer (PROTOCOL.md §5.5). All four
// fields are JSON numbers.
type GaugeValue struct {
	Name      string
	Magnitude float64
	Min       float64
	Max       float64
}

// AppendGaugeValues appends a JSON array of GaugeValue; nil is written as [].
func AppendGaugeValues(dst []byte, g []GaugeValue) []byte {
	dst = append(dst, '[')
	for i := range g {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendGaugeValue(dst, &g[i])
	}
	return append(dst, ']')
}

// AppendGaugeValue appends {"Name":…,"Magnitude":…,"Min":…,"Max":…}; NaN and ±Inf are null.
func AppendGaugeValue(dst []byte, g *GaugeValue) []byte {
	dst = append(dst, `{"Name":`...)
	dst = AppendString(dst, g.Name)
	dst = append(dst, `,"Magnitude":`...)
	dst = AppendFloat(dst, g.Magnitude)
	dst = append(dst, `,"Min":`...)
	dst = AppendFloat(dst, g.Min)
	dst = append(dst, `,"Max":`...)
	dst = AppendFloat(dst, g.Max)
	return append(dst, '}')
}

// Chartable is one time slice of a chart (PROTOCOL.md §5.6): one value per series, NaN for a
// missing point.
type Chartable struct {
	TS   int64 // Unix nanoseconds
	Data []float64
}

// ChartableValueSet is the Entries of a chart renderer (PROTOCOL.md §5.6).
type ChartableValueSet struct {
	Names      []string   // written as [] when nil
	KeyComps   [][]string // per series, the key values forming its name; omitted when empty
	Categories []string   // omitted when empty
	Values     []Chartable
}

// AppendChartableValueSet appends c. Each slice's Data is written with exactly len(Names)
// elements: missing and NaN points are null.
func AppendChartableValueSet(dst []byte, c *ChartableValueSet) []byte {
	dst = AppendChartHead(dst, c.Names, c.KeyComps, c.Categories)
	for i := range c.Values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendChartable(dst, &c.Values[i], len(c.Names))
	}
	return append(dst, "]}"...)
}

// AppendChartHead appends `{"Names":[…],"KeyComps":[…],"Categories":[…],"Values":[` (empty
// KeyComps and Categories omitted); append Chartables and "]}" to finish the set.
func AppendChartHead(dst []byte, names []string, keyComps [][]string, categories []string) []byte {
	dst = append(dst, `{"Names":`...)
	dst = appendStringArray(dst, names)
	if len(keyComps) > 0 {
		dst = append(dst, `,"KeyComps":[`...)
		for i, k := range keyComps {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"Keys":`...)
			dst = appendStringArray(dst, k)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(categories) > 0 {
		dst = append(dst, `,"Categories":`...)
		dst = appendStringArray(dst, categories)
	}
	return append(dst, `,"Values":[`...)
}

// AppendChartable appends {"TS":…,"Data":[…]} with exactly width numbers: Data is padded with
// null (and cut) to width; NaN and ±Inf are null.
func AppendChartable(dst []byte, c *Chartable, width int) []byte {
	dst = append(dst, `{"TS":`...)
	dst = AppendUnixNano(dst, c.TS)
	dst = append(dst, `,"Data":[`...)
	for i := 0; i < width; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if i < len(c.Data) {
			dst = AppendFloat(dst, c.Data[i])
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, "]}"...)
}
