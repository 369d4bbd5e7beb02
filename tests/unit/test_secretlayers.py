"""Layered secrets, pure: typed placeholders from sops' leaf types, key paths, the hub Secret's name."""

from __future__ import annotations

from hubfleet.core import secretlayers as sl

ENC_STR = "ENC[AES256_GCM,data:q83k,iv:9sQ=,tag:Zm9v,type:str]"
ENC_INT = "ENC[AES256_GCM,data:MTI=,iv:aXY=,tag:dGFn,type:int]"
ENC_BOOL = "ENC[AES256_GCM,data:dHJ1ZQ==,iv:aXY=,tag:dGFn,type:bool]"
ENC_FLOAT = "ENC[AES256_GCM,data:MS41,iv:aXY=,tag:dGFn,type:float]"
SOPS = {"sops": {"mac": "ENC[...]", "age": [{"recipient": "age1x"}]}}


def test_layer_order_is_fleet_cluster_hub():
    assert sl.layer_paths("uni-west", "genomics") == (
        "clusters/secrets.yaml",
        "clusters/uni-west/secrets.yaml",
        "hubs/genomics/secrets.yaml",
    )


def test_enc_type_reads_the_recorded_type_and_nothing_else():
    assert sl.enc_type(ENC_STR) == "str"
    assert sl.enc_type(ENC_INT) == "int"
    assert sl.enc_type("ENC[but not really]") is None
    assert sl.enc_type("plain") is None
    assert sl.enc_type(3) is None


def test_placeholders_keep_each_leaf_type_and_drop_sops_metadata():
    doc = {
        "imagePullSecret": {"password": ENC_STR},
        "hub": {"db": {"port": ENC_INT}, "flag": ENC_BOOL, "ratio": ENC_FLOAT},
        "list": [ENC_STR, "clear_unencrypted"],
        **SOPS,
    }
    got = sl.placeholders(doc)
    assert got == {
        "imagePullSecret": {"password": sl.ENCRYPTED_STR},
        "hub": {"db": {"port": 0}, "flag": False, "ratio": 0.5},
        "list": [sl.ENCRYPTED_STR, "clear_unencrypted"],
    }
    assert type(got["hub"]["db"]["port"]) is int and type(got["hub"]["flag"]) is bool


def test_encrypted_paths_and_key_paths_never_show_values():
    doc = {"a": {"b": ENC_STR, "c.d": ENC_INT}, **SOPS}
    assert sl.encrypted_paths(doc) == {("a", "b"), ("a", "c.d")}
    listed = sl.key_paths(doc)
    assert listed == sorted(["a.b", 'a."c.d"'])
    assert not any("ENC" in k for k in listed)


def test_ciphertext_changes_name_keys_only_and_ignore_rekeying():
    was = {"hub": {"cookieSecret": ENC_STR, "old": ENC_STR}, **SOPS}
    rekeyed = {"hub": {"cookieSecret": ENC_STR, "old": ENC_STR}, "sops": {"mac": "other", "age": []}}
    now = {"hub": {"cookieSecret": ENC_STR.replace("q83k", "zzzz"), "new": ENC_INT}, **SOPS}
    assert sl.ciphertext_changes(was, rekeyed) == []
    assert sl.content_digest(was) == sl.content_digest(rekeyed)
    assert sl.ciphertext_changes(was, now) == ["hub.cookieSecret", "hub.new", "hub.old"]
    assert sl.ciphertext_changes(None, now) == ["hub.cookieSecret", "hub.new"]
    assert sl.content_digest(None) is None


def test_hub_secret_name_follows_the_jupyterhub_chart():
    assert sl.hub_secret_name("uni-staging", {"fullnameOverride": ""}) == "hub"
    assert sl.hub_secret_name("uni-staging", {}) == "hub"
    assert sl.hub_secret_name("uni-staging", {"fullnameOverride": "jh"}) == "jh-hub"
    assert sl.hub_secret_name("uni-staging", {"fullnameOverride": None}) == "uni-staging-jupyterhub-hub"
    assert sl.hub_secret_name("my-jupyterhub", {"fullnameOverride": None}) == "my-jupyterhub-hub"
    assert sl.hub_secret_name("x", {"fullnameOverride": None, "nameOverride": "lab"}) == "x-lab-hub"
    wrapped = {"jupyterhub": {"fullnameOverride": "prod"}}
    assert sl.hub_secret_name("x", wrapped, chart_name="basehub") == "prod-hub"
    assert sl.service_token_key("hubfleet-health") == "hub.services.hubfleet-health.apiToken"


def test_merged_token_takes_the_highest_layer_that_sets_it():
    fleet = {"hub": {"services": {"hubfleet-health": {"apiToken": "fleet-wide"}}}}
    cluster = {"hub": {"services": {"hubfleet-health": {"apiToken": "cluster"}}}}
    hub = {"hub": {"other": 1}}
    assert sl.merged_token([fleet, cluster, hub], "hubfleet-health") == "cluster"
    assert sl.merged_token([hub], "hubfleet-health") is None


def test_clear_leaves_are_those_sops_would_have_encrypted():
    enc = "ENC[AES256_GCM,data:eA==,iv:aXY=,tag:dGFn,type:str]"
    doc = {
        "a": {"token": enc, "added": "CLEARTEXT", "list": [enc, "clear-in-list"], "none": None},
        "b_unencrypted": {"host": "in clear by sops' default suffix"},
        "sops": {"mac": enc},
    }
    assert sl.clear_leaves(doc) == [("a", "added"), ("a", "list", 1)]
    regex = {**doc, "sops": {"mac": enc, "encrypted_regex": "^(token|added)$"}}
    assert sl.clear_leaves(regex) == [("a", "added")]
    comments = {**doc, "sops": {"mac": enc, "encrypted_comment_regex": "sops:enc"}}
    assert sl.clear_leaves(comments) == []  # comments decide, and a parsed file has none
