"""The benchmark's Quart peer: the same endpoint as HelloServiceKit, served by hypercorn with one worker."""
from quart import Quart

app = Quart(__name__)


@app.route("/hello")
async def hello():
    return {"message": "Hello, World!"}
