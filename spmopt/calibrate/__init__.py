"""Calibrate behaviour parameters from a company's own rep-month history (issue 13): the history
format (:mod:`~spmopt.calibrate.history`), its moments (:mod:`~spmopt.calibrate.moments`),
simulated histories on fixed draws (:mod:`~spmopt.calibrate.simulate`), the two-step simulated
method of moments (:mod:`~spmopt.calibrate.estimate`), the fit with identification diagnostics
(:mod:`~spmopt.calibrate.fit`) and its outputs (:mod:`~spmopt.calibrate.report`). See
``docs/calibration-from-history.md``."""
