// MithaiWorkbench
