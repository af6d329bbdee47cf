"""codeseceval shim: the `mysql` namespace, so `mysql.connector` can be imported."""
