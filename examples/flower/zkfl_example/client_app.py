"""The clinic's ClientApp: trains locally; under ZKFL-PQ (`mode = "protected"`) the reply carries a sealed,
proven submission to `zkfl serve` instead of the weights (`zkfl.flower.protect_reply`).

Node config of each SuperNode: `partition-id` (0-based), `attacker` (true for the poisoning clinic),
`zkfl-keys` (the clinic's own directory from `zkfl keygen`) and `zkfl-server` (the aggregator URL).
On the simulation engine a simulated SuperNode's node config holds only `partition-id` and
`num-partitions`: there the last partition is the attacker and the clinic's keys are
`<run config zkfl-keys>/clinics/<partition-id + 1>` (`node_settings`).
The train config (from the ServerApp): `mode` (`plain` or `protected`) and `attack` (`poison`: the
attacker sends POISON × its update; `absent`: the attacker's reply has weight 0, i.e. FedAvg without it).
"""

from pathlib import Path

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from zkfl.flower import clinic_for, flatten, protect_reply, unflatten

from . import task

app = ClientApp()


def node_settings(context: Context) -> Context:
    """This clinic's node config: the SuperNode's own (deployment engine), or on the simulation engine
    one derived from the partition id and the run config, so both engines run the same app."""
    node = dict(context.node_config)
    if "zkfl-keys" not in node and "num-partitions" in node:
        pid = int(node["partition-id"])
        node["attacker"] = pid == int(node["num-partitions"]) - 1
        node["zkfl-keys"] = str(Path(str(context.run_config["zkfl-keys"])) / "clinics" / str(pid + 1))
    return Context(run_id=context.run_id, node_id=context.node_id, node_config=node, state=context.state,
                   run_config=context.run_config)


@app.train()
def train(msg: Message, context: Context) -> Message:
    arrays: ArrayRecord = msg.content["arrays"]
    config = msg.content["config"]
    context = node_settings(context)
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
