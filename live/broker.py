"""MQTT connection settings shared by the ingester, the simulator and the benchmark.

Topic strings and subscriptions come from the topic registry, `loaders/topics.py`.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

QOS = 1


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_mqtt_url(url: str) -> BrokerAddress:
    """mqtt://[user:password@]host[:port] or mqtts:// for TLS; a clear error otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883, got {url!r}")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ValueError(f"MQTT_URL has a bad port: {url!r}") from None
    return BrokerAddress(parts.hostname, port, tls, unquote(parts.username) if parts.username else None,
                         unquote(parts.password) if parts.password else None)


def make_client(address: BrokerAddress, client_id: str, persistent: bool = False) -> mqtt.Client:
    """A paho client (MQTT 3.1.1). `persistent` keeps the broker-side session, so QoS 1
    messages published while the client is briefly away are delivered when it returns."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=not persistent,
                         protocol=mqtt.MQTTv311)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    return client

