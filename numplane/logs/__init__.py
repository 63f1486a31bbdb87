"""Process logging: where lines go and how they look (text or JSON), and the ids that tie lines together.

A bottom layer like the domain: it imports nothing else of numplane, so the web layer and the jobs can
name the request or the job run their lines belong to, and every logger's lines carry it.
"""
