"""The engine: no biology. Lattice geometry, column stores, diffusing fields,
the parameter tree (units, ranges, sources) with its close-match hints, and the
tissue that holds them all with public occupy/vacate/kill."""
