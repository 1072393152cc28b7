"""Authentication, authorisation and hardening: one place that decides who may
call what, enforced in a request hook for every route and Dash callback."""
