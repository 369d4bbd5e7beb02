"""Recording STAND-INS for the tools hubfleet runs (not the tools): for tests, yours included.

`hubfleet.testing.standins.helm.HelmStandin` keeps Helm release state in a folder;
`hubfleet.testing.standins.hub.HubStandin` answers a health check as a running hub would.
"""
