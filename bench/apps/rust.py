# The "rust" application of bench/run: the real application's shape with the
# Rust extensions most services carry, orjson and pydantic (pydantic-core);
# prints one line that every build must print identically.
import datetime
import hashlib

import orjson
import pydantic
import pydantic_core


class Item(pydantic.BaseModel):
    id: int
    tag: str
    price: float
    when: datetime.datetime


class Order(pydantic.BaseModel):
    name: str
    items: list[Item]


raw = orjson.dumps({"name": "pyweld", "items": [
    {"id": i, "tag": "<b>%d</b>" % i, "price": i * 1.25,
     "when": "2026-01-%02dT12:00:00+00:00" % (i % 28 + 1)} for i in range(200)]})
order = Order.model_validate_json(raw)
assert len(order.items) == 200 and order.items[3].when.day == 4
again = Order.model_validate(orjson.loads(order.model_dump_json()))
assert again == order
out = orjson.dumps(order.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
try:
    Item.model_validate({"id": "x"})
except pydantic.ValidationError as e:
    errors = e.error_count()
# the compiled objects, not a pure-Python stand-in
rust_ext = (type(orjson.dumps).__name__ == "builtin_function_or_method" and
            pydantic_core.SchemaValidator.__module__ == "pydantic_core._pydantic_core" and
            type(Order.__pydantic_validator__) is pydantic_core.SchemaValidator)
digest = hashlib.sha256(out).hexdigest()[:16]
print("rust ok", digest, errors, "rust-extensions" if rust_ext else "NO-RUST-EXTENSIONS")
