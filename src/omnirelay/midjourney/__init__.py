"""The Midjourney-Proxy API family (``/mj/*``): wire shapes, actions, submissions, the upstream seam."""
