"""hubfleet: many JupyterHubs on many Kubernetes clusters, from one repository."""

__version__ = "0.1.0"
