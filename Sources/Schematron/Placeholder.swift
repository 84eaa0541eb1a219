enum SchematronPlaceholder {}
