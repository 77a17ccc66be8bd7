"""Policies (`policies/*.yaml`): the platform team's rules over every kind's declared resources and
planned changes, checked offline by validate and again at plan. Generic over the kinds registry:
rules read a resource's plain view (`Kind.describe`), never a kind's model."""
