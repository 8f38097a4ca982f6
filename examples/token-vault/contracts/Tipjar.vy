# pragma version ~=0.4.0
"""
@title Tipjar
@notice Collects ether tips and remembers each tipper's total; the owner withdraws.
"""

event Tip:
    sender: indexed(address)
    amount: uint256

owner: public(address)
tipped: public(HashMap[address, uint256])
total: public(uint256)


@deploy
def __init__():
    self.owner = msg.sender


@external
@payable
def tip():
    assert msg.value > 0, "empty tip"
    self.tipped[msg.sender] += msg.value
    self.total += msg.value
    log Tip(sender=msg.sender, amount=msg.value)


@external
def withdraw():
    assert msg.sender == self.owner, "not the owner"
    send(self.owner, self.balance)
