"""The demo: a realistic programme loaded into a separate database, for someone evaluating the LRS (``lrs demo``).

``programme.py`` is the data (who, which cohorts, what happened when, relative to today), ``files.py`` makes the
attachments (PDF witness statements and work products, a PNG, notes), and ``loader.py`` is the sequence of steps
that puts it all in through the public services, exactly as an LMS, a journal app, an assessor and an IQA would:
statements through ``LRS.store_statements``, journal entries through ``lrs.learning.journal``, decisions through
``lrs.review.service``, accounts through ``lrs.store.users``. Each step is one function there, so following a
change in one of those services (enrolments, assessment rules) is one edit.
"""
