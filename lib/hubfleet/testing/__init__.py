"""hubfleet.testing"""
