"""The Data Rights Protocol (Consumer Reports' open protocol for authorised agents), served as a privacy
infrastructure provider for each of our vendors: pair-wise key set-up, signed exercise requests, status,
revocation, status callbacks and the service-directory entries. See docs/drp.md."""
