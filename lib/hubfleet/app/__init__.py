"""hubfleet.app"""
