"""Task settings of the MongoDB / DocumentDB target (``Sparkdms`` section; cheap to import:
the engine's ``EngineSpec`` registers them).

``Sparkdms.MongoNestDottedNames``  true (default): a column ``a.b`` is written as field ``b``
                                   of sub-document ``a``; false: the name is kept as it is
                                   (MongoDB 5+ stores it; FerretDB 1.x refuses it)
``Sparkdms.MongoOrderedWrites``    false (default): unordered bulk writes (faster; every
                                   refused document is reported); true: ordered (in row order,
                                   the batch goes on after a refused document)
``Sparkdms.MongoDecimal``          auto (default): Decimal128 where the server stores it
                                   (MongoDB, DocumentDB), exact plain text where it does not
                                   (FerretDB 1.x); decimal128 or string to force one
"""

from sparkdms.task.settings import Setting

TARGET_SETTINGS = {
    "Sparkdms.MongoNestDottedNames": Setting(bool, True),
    "Sparkdms.MongoOrderedWrites": Setting(bool, False),
    "Sparkdms.MongoDecimal": Setting(str, "auto", ("auto", "decimal128", "string")),
}
