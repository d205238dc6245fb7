// MithaiStore
