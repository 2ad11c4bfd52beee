"""The version, in a module of its own so that every module can name it without importing the package
(whose __init__ imports the API, and so everything)."""

__version__ = "0.2.0"
