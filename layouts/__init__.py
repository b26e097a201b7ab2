"""Component trees for each page; every component ID lives in ``layouts.ids``."""
