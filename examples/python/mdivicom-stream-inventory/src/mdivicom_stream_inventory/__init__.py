"""mdivicom plugin: a per-stream inventory of an openSIDS dataset (sizes and durations)."""

__version__ = "0.1.0"

STREAM_TYPES = ["video", "audio", "gaze", "imu"]


def get_plugin():
    # JSON-safe and cheap: listing plugins must not import the run code.
    return {
        "meta": {
            "api_version": "mdivicomtools.plugin.v0.1",
            "id": "stream-inventory",
            "publisher": "mdivicom-examples",
            "kind": "python",
            "version": __version__,
            "description": "Per-stream inventory of an openSIDS dataset: file sizes and durations "
                           "measured from the data (WAV header, y4m frames, first/last timestamps).",
            "config_schema": {
                "type": "object",
                "properties": {
                    "include": {
                        "type": "array",
                        "items": {"type": "string", "enum": STREAM_TYPES},
                        "uniqueItems": True,
                        "minItems": 1,
                    },
                },
                "additionalProperties": False,
            },
            "outputs": [
                {"path": "inventory.csv", "format": "csv", "role": "inventory"},
                {"path": "provenance.json", "format": "json", "role": "provenance"},
                {"path": "resultbundle.json", "format": "json", "role": "sidecar"},
            ],
        },
        "entry": {"callable": "mdivicom_stream_inventory.inventory:run"},
    }
