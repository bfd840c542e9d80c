"""A model whose metrics function fails: the job must end in ERROR naming the line."""


# modelop.init
def init(job_json):
    pass


# modelop.metrics
def metrics(df):
    if "default" not in df.columns:
        raise ValueError("no label column 'default' in the data")
    raise ValueError(f"cannot score {len(df)} rows: the label column is all missing")
    yield {}
