"""The engines: reverse mode (``backward``) and forward mode (``forward``) over one graph."""
