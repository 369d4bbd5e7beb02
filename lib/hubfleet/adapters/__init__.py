"""hubfleet.adapters"""
