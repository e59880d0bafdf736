"""The clinic's ClientApp: trains locally; under ZKFL-PQ (`mode = "protected"`) the reply carries a sealed,
proven submission to `zkfl serve` instead of the weights (`zkfl.flower.protect_reply`).

Node config of each SuperNode: `partition-id` (0-based), `attacker` (true for the poisoning clinic),
`zkfl-keys` (the clinic's own directory from `zkfl keygen`) and `zkfl-server` (the aggregator URL).
The train config (from the ServerApp): `mode` (`plain` or `protected`) and `attack` (`poison`: the
attacker sends POISON × its update; `absent`: the attacker's reply has weight 0, i.e. FedAvg without it).
"""

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from zkfl.flower import clinic_for, flatten, protect_reply, unflatten

from . import task

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    arrays: ArrayRecord = msg.content["arrays"]
    config = msg.content["config"]
    node = context.node_config
    attacker = bool(node.get("attacker", False))
    poison = attacker and config["attack"] == "poison"
    x, y = task.partition(int(node["partition-id"]))
    w = flatten(arrays)
    new_w, loss = task.train(w, x, y)
    if poison:
        new_w = w + task.POISON * (new_w - w)
    weight = 0 if attacker and config["attack"] == "absent" else len(y)
    reply = Message(
        content=RecordDict(
            {
                "arrays": unflatten(new_w, like=arrays),
                "metrics": MetricRecord({"num-examples": weight, "train-loss": loss}),
            }
        ),
        reply_to=msg,
    )
    if config["mode"] == "protected":
        reply = protect_reply(msg, reply, clinic_for(context, config), poisoned=poison)
    return reply
