"""Column-mapping profiles saved in the web: a Django app holding only the model, so the import
(``zengshou.ingest``) reads them and the pages (``zengshou.web``) write them without either
importing the other."""
