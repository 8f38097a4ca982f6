# pragma version ^0.4.0
# A Vyper contract for pyeth.testing's artefact tests: compiled from source when the vyper
# package is installed, and checked in as `vyper -f combined_json` output (VyCounter.combined.json).

event Bumped:
    who: indexed(address)
    count: uint256

count: public(uint256)
owner: public(address)

@deploy
def __init__(start: uint256):
    self.count = start
    self.owner = msg.sender

@external
def bump(by: uint256) -> uint256:
    assert by > 0, "by must be positive"
    self.count += by
    log Bumped(who=msg.sender, count=self.count)
    return self.count
