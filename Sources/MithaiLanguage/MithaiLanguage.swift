// MithaiLanguage
