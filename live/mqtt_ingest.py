"""`manage.py ingest-mqtt`: subscribe to the city topics and write what is valid.

paho's network thread only validates and queues (loaders.live_feed.IngestWriter);
a writer thread commits batches, so a slow database never stalls the broker
connection. It subscribes to every topic of the registry (`loaders.topics`). The
client reconnects by itself after the broker restarts (1 s to 30 s backoff) and
subscribes again; its broker session is persistent, so QoS 1 messages published
during a short disconnection are delivered when it is back.
"""
from __future__ import annotations

import logging
import threading
import time

import paho.mqtt.client as mqtt
from sqlalchemy import Engine

import settings
from live.broker import QOS, BrokerAddress, make_subscriber, subscriber_connect_options
from loaders import topics
from loaders.live_feed import IngestWriter, Registry

log = logging.getLogger(__name__)


class MqttIngester:
    """Each link is an MQTT 5 connection whose session the broker keeps `session_expiry_s`
    (MQTT_SESSION_EXPIRY_S) while it is away (`live.broker.subscriber_connect_options`).

    `links` connections share the subscription (`$share/<client_id>/…`) and the broker spreads
    messages over them. Since each link lets the broker keep `RECEIVE_MAXIMUM` messages in flight,
    one link carries the most in one process: more links are more paho threads taking turns
    with the writer under the GIL (10,000 messages a second held on one link, 6,500 on four)."""

    def __init__(self, address: BrokerAddress, engine: Engine, client_id: str = "ioc-ingester",
                 flush_s: float = 0.2, max_batch: int = 2000, links: int = 1, after_batch=None,
                 session_expiry_s: int | None = None):
        self.address = address
        self.session_expiry_s = (settings.get_int("MQTT_SESSION_EXPIRY_S") if session_expiry_s is None
                                 else session_expiry_s)
        self.writer = IngestWriter(engine, Registry.load(engine), flush_s=flush_s, max_batch=max_batch,
                                   after_batch=after_batch)
        prefix = f"$share/{client_id}/" if links > 1 else ""
        self.topics = [(prefix + subscription, QOS) for subscription in topics.subscriptions()]
        self.clients = [make_subscriber(address, client_id if links == 1 else f"{client_id}-{k}")
                        for k in range(1, links + 1)]
        for client in self.clients:
            client.on_connect = self._on_connect
            client.on_disconnect = self._on_disconnect
            client.on_message = self._on_message
        self._up: set[int] = set()
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.connections = 0

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        client.subscribe(self.topics)
        with self._lock:
            self.connections += 1
            self._up.add(id(client))
            if len(self._up) == len(self.clients):
                self.connected.set()
        log.info("connected to %s:%s (connection %d), subscribed", self.address.host, self.address.port,
                 self.connections)

    def _on_disconnect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        with self._lock:
            self._up.discard(id(client))
            self.connected.clear()
        log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self.writer.accept(message.topic, message.payload)

    def start(self) -> "MqttIngester":
        """Run in background threads (tests, benchmark)."""
        self.writer.start()
        for client in self.clients:
            client.connect_async(self.address.host, self.address.port, keepalive=30,
                                 **subscriber_connect_options(self.session_expiry_s))
            client.loop_start()
        return self

    def stop(self) -> None:
        for client in self.clients:
            client.disconnect()
            client.loop_stop()
        self.writer.stop()

    def run_forever(self, report_every_s: float = 60.0) -> None:
        """Block until interrupted, logging totals now and then; queued rows are written on exit."""
        self.start()
        try:
            while True:
                time.sleep(report_every_s)
                log.info("ingest totals: %s", dict(self.writer.totals))
        except KeyboardInterrupt:
            log.info("stopping: writing what is queued")
        finally:
            self.stop()
