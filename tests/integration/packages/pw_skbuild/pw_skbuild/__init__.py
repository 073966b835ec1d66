from ._skb import square
