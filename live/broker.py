"""MQTT connection settings shared by the ingester, the simulator and the benchmark.

Topic strings and subscriptions come from the topic registry, `loaders/topics.py`.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

QOS = 1
# What a subscriber (the ingester) tells the broker in its MQTT 5 CONNECT: how many QoS 1 messages
# the broker may send before their acknowledgements (the protocol's largest). Without it Mosquitto
# keeps `max_inflight_messages` (20 by default) in flight, queues `max_queued_messages` (1,000) more
# and drops the rest of a burst while the ingester is busy writing.
RECEIVE_MAXIMUM = 65535


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


def make_client(address: BrokerAddress, client_id: str) -> mqtt.Client:
    """A paho client for publishing (MQTT 3.1.1, clean session)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True,
                         protocol=mqtt.MQTTv311)
    return _configured(client, address)


def make_subscriber(address: BrokerAddress, client_id: str) -> mqtt.Client:
    """A paho client for the ingester (MQTT 5): connect it with `subscriber_connect_options()`, so its
    broker session outlives a disconnection (QoS 1 messages published meanwhile are delivered when it
    returns) and the broker may keep `RECEIVE_MAXIMUM` messages in flight to it."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    return _configured(client, address)


def subscriber_connect_options(session_expiry_s: int) -> dict:
    """`connect_async` keywords of a subscriber: resume its session, with its receive maximum.
    A session expiry of 0 ends the session with the connection (benchmarks and tests, whose
    client ids are never used again, so the broker does not queue for them for a week)."""
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = session_expiry_s
    properties.ReceiveMaximum = RECEIVE_MAXIMUM
    return {"clean_start": False, "properties": properties}


def _configured(client: mqtt.Client, address: BrokerAddress) -> mqtt.Client:
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    return client

