"""hubfleet.cli"""
