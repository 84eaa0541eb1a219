enum NormKitPlaceholder {}
