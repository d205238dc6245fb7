// MithaiShell
