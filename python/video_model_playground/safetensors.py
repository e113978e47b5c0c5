"""The safetensors file format, read and written with numpy alone (the `safetensors` package is not
needed), with the same checks and the same layout as the app's `src/core/checkpoint/safetensors.ts`:

    [8 bytes]  N, the header's length, unsigned 64-bit little-endian
    [N bytes]  UTF-8 JSON: {"__metadata__": {key: str}, name: {"dtype", "shape", "data_offsets"}}
               padded with spaces so that the data starts at a multiple of 8 bytes
    [rest]     the tensors' bytes, little-endian, row-major, back to back (no holes, nothing after)

Tensors are written largest element size first, then by name, as the app writes them.
"""
from __future__ import annotations

import json
from typing import Dict, Mapping, Tuple

import numpy as np

# The dtypes the app writes and reads, as numpy little-endian dtypes.
DTYPES: Dict[str, np.dtype] = {
    "F32": np.dtype("<f4"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "U8": np.dtype("u1"),
}
# Element sizes of every dtype the format defines, to check the byte lengths of those refused.
FORMAT_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
}
MAX_HEADER_BYTES = 100_000_000
METADATA_KEY = "__metadata__"


class SafetensorsError(ValueError):
    """A file that is not valid safetensors, with a message naming the problem."""


def _dtype_name(array: np.ndarray) -> str:
    for name, dtype in DTYPES.items():
        if array.dtype.newbyteorder("<") == dtype:
            return name
    raise SafetensorsError(f"unsupported array dtype {array.dtype} (use float32, int32, uint32 or uint8)")


def encode(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None) -> bytes:
    """A safetensors file holding `tensors` (numpy arrays) and string `metadata`."""
    arrays = {name: np.ascontiguousarray(value) for name, value in tensors.items()}
    names = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))
    header: Dict[str, object] = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise SafetensorsError(f'metadata value "{key}" must be a string')
        header[METADATA_KEY] = dict(metadata)
    offset = 0
    for name in names:
        if name in ("", METADATA_KEY):
            raise SafetensorsError(f'"{name}" cannot be a tensor name')
        array = arrays[name]
        size = array.size * array.dtype.itemsize
        header[name] = {"dtype": _dtype_name(array), "shape": list(array.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    length = -(-(8 + len(text)) // 8) * 8 - 8  # padded: the data starts 8-byte aligned
    parts = [length.to_bytes(8, "little"), text, b" " * (length - len(text))]
    for name in names:
        array = arrays[name]
        parts.append(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return b"".join(parts)


def _entry(name: str, value: object) -> Tuple[str, list, Tuple[int, int]]:
    if not isinstance(value, dict):
        raise SafetensorsError(f'Invalid safetensors header: tensor "{name}" must be an object')
    unknown = set(value) - {"dtype", "shape", "data_offsets"}
    if unknown:
        raise SafetensorsError(
            f'Invalid safetensors header: tensor "{name}" has an unknown field "{sorted(unknown)[0]}"')
    dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in FORMAT_DTYPE_BYTES:
        raise SafetensorsError(f'Invalid safetensors header: tensor "{name}" has an unknown dtype {dtype!r}')
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise SafetensorsError(
            f'Invalid safetensors header: tensor "{name}" has a shape that is not a list of non-negative integers')
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and o >= 0 for o in offsets) or offsets[0] > offsets[1]):
        raise SafetensorsError(
            f'Invalid safetensors header: tensor "{name}" needs data_offsets [begin, end] with 0 <= begin <= end')
    size = int(np.prod(shape, dtype=np.int64)) * FORMAT_DTYPE_BYTES[dtype]
    if offsets[1] - offsets[0] != size:
        raise SafetensorsError(
            f'Invalid safetensors header: tensor "{name}" ({dtype} {shape}) needs {size} bytes '
            f"but its data_offsets span {offsets[1] - offsets[0]}")
    return dtype, shape, (offsets[0], offsets[1])


def decode(data: bytes) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """(tensors, metadata) of a safetensors file; raises SafetensorsError naming the problem."""
    if len(data) < 8:
        raise SafetensorsError(
            f"This is not a safetensors file: {len(data)} bytes is shorter than the 8-byte header length")
    if len(data) <= 8 or data[8:9] != b"{":
        raise SafetensorsError(
            "This is not a safetensors file: it does not start with an 8-byte header length "
            "followed by a JSON header")
    length = int.from_bytes(data[:8], "little")
    if length > MAX_HEADER_BYTES:
        raise SafetensorsError(f"Invalid safetensors header: the header length {length} exceeds {MAX_HEADER_BYTES} bytes")
    if 8 + length > len(data):
        raise SafetensorsError(
            f"The file is truncated: its header needs {length} bytes but only {len(data) - 8} follow the length field")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"Invalid safetensors header: the header is not valid UTF-8 JSON ({error})") from None
    if not isinstance(header, dict):
        raise SafetensorsError("Invalid safetensors header: the header must be a JSON object")
    metadata: Dict[str, str] = {}
    entries = {}
    for name, value in header.items():
        if name == METADATA_KEY:
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise SafetensorsError("Invalid safetensors header: __metadata__ must be an object of strings")
            metadata = dict(value)
        else:
            entries[name] = _entry(name, value)
    start = 8 + length
    available = len(data) - start
    expected = 0
    for name, (_, _, (begin, end)) in sorted(entries.items(), key=lambda item: item[1][2][0]):
        if begin != expected:
            raise SafetensorsError(
                f'Invalid safetensors header: tensor "{name}" starts at byte {begin}, expected {expected} '
                "(data offsets must be contiguous, without holes or overlaps)")
        expected = end
    if expected > available:
        raise SafetensorsError(
            f"The file is truncated: its tensors need {expected} bytes of data but only {available} are present")
    if expected < available:
        raise SafetensorsError(f"Invalid safetensors header: {available - expected} bytes follow the last tensor's data")
    tensors = {}
    for name, (dtype, shape, (begin, end)) in entries.items():
        if dtype not in DTYPES:
            raise SafetensorsError(f'Tensor "{name}" has dtype {dtype}; this package reads {", ".join(DTYPES)}')
        array = np.frombuffer(data, dtype=DTYPES[dtype], count=(end - begin) // DTYPES[dtype].itemsize,
                              offset=start + begin)
        tensors[name] = array.astype(DTYPES[dtype].newbyteorder("="), copy=True).reshape(shape)
    return tensors, metadata
