package connectjson

// JavaHashMapTreeifies lets the external Java-oracle test skip the maps
// whose order javaHashMapOrder does not model (treeified bins).
func JavaHashMapTreeifies(keys []string) bool {
	_, t := javaHashMapLayout(keys)
	return t
}
