"""The mood classifier and what it is made of: the classifier (`classifier`, int8 ONNX), the network (`net`), the
encoder's tokens and labels (`encoder`), its training (`train`), the Chinese path (`zh`, trained by `zh_train`) and a
discussion's report (`report`).

Nothing is re-exported here: the classifier pulls numpy and onnxruntime, so callers import it lazily by its module.
"""
