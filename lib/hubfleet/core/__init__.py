"""hubfleet.core"""
