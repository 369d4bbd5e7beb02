"""Hubs on this machine: values -> JupyterHub config (`config`), processes (`process`,
`launch`), and the Node tools they need (`install`)."""
